"""Looking at a trained network: its test results (evaluation: confusion matrix, mistakes,
train-test gap, weight templates, curve smoothing) and what happens inside it (inside: saliency,
hidden units, feature maps)."""

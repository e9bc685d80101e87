"""The Draw page's logic: a canvas or upload turned into MNIST's 28x28 (preprocess), the guess
and the models offered (draw_page), and adapting a model to one person's handwriting
(personalize)."""

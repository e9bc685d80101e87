"""Teaching around the network: the chapter's walkthrough on Home, lesson links that fix or hide
controls, and the files a student takes home (downloads)."""

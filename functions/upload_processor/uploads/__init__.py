"""The upload pipeline's function (the notes' Lambda lessons): reads what was uploaded."""

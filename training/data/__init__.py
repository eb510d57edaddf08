"""Labelled data: the shipped corpora, the one `text,label` file reader, datasets splits, feedback files."""

"""The Dockerfile as text: lossless reading, the data model, edits, suppression comments, writing."""

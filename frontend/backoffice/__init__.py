"""Cabinet: the pages of this space."""

"""Mon compte: the pages of this space."""

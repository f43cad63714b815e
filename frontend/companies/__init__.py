"""Entreprises: the pages of this space."""

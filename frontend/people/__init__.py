"""Utilisateurs: the pages of this space."""

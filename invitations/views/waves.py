"""Invitations views: waves."""

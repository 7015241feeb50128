"""Invitations views: targets."""

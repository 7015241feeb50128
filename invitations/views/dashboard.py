"""Invitations views: dashboard."""

"""Invitations views: rsvp."""

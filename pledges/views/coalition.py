"""Pledges views: coalition."""

"""Pledges views: registry."""

"""Pledges views: reports."""

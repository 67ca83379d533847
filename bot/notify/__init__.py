"""Telling people: residents about their tickets, departments about new ones."""

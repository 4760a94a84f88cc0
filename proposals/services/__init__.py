"""Writes for proposals and grant calls, one module per stage of the programme."""

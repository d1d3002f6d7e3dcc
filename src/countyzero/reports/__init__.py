"""Bilingual reports (HTML with figures) of engine results."""

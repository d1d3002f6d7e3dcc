"""Sustainable finance (可持续金融): EU Taxonomy, Common Ground Taxonomy and China catalogue screening with an
evidence trail, Article 8 / GAR-style KPIs, and financing appraisal. See docs/finance.md."""

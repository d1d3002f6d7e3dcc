"""The web platform: FastAPI app with bilingual server-rendered pages and a JSON API under /api/v1."""

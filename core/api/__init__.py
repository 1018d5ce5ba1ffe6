"""The admin REST API (aiohttp) and its OpenAPI document."""

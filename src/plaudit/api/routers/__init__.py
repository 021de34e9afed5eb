"""Thin routers, one per domain: parse, call one service method, shape the response."""

"""Linked-data views of the graph: pure services that return triples, JSON-LD trees and page models.

``render.py`` turns their results into responses; ``routers/`` wire them to URLs.
"""

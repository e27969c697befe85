"""Candor's JSON API: thin DRF views over the domain services and selectors.

Views validate input with a serializer, call one service (writes) or selector
(reads and access checks), and serialize the result. Domain errors are
``advocacy.core.errors.ApplicationError`` and reach clients in the one error shape
produced by ``advocacy.core.api.exception_handler``.
"""

"""JSON API views, one module per area. Each view is thin: serializer in, one
service or selector call, serializer out."""

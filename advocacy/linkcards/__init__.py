"""Link cards: the title, description and thumbnail of a draft's linked page, read once
by the server from its Open Graph tags and kept for a while, so a Bluesky post carries
the card its preview showed. Never fetched by a browser."""

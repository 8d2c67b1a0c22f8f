"""The buyer's side of the shop: catalog, cart, checkout, return pages."""

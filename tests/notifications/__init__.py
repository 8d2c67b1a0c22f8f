"""The Invoicebox notification endpoint."""

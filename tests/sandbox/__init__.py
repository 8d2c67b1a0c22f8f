"""Contract tests of the Invoicebox sandbox, driven over real HTTP."""

"""Pricing, monthly runs, invoices and credit notes, Factur-X documents, payments."""

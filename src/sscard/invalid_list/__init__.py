"""The invalid list: which cards may not settle, versioned for terminals (R-INV)."""

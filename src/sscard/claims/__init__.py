"""Reimbursement claims for what people paid while their card was gone (R-CLM)."""

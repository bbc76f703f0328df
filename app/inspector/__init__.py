"""The inspector dock: op, blob and tensor (weight or activation) views."""

"""Question banks: YAML source, typed models, loading and validation, bank-defined exercises, listing."""

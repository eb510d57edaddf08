"""The sentiment classifier: arguments, training loop, batching, metrics, the TF-IDF baseline."""

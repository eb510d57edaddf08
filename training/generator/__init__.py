"""The reply generator: (message, reply) pairs, seq2seq training, draft scoring and the lineup."""

"""Sequence-to-sequence reply models trained from scratch: SentencePiece, BiLSTM-attention, Transformer."""

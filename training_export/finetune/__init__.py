"""Fine-tuning engine: prompt→label data, a LoRA/full trainer on the GGUF base, evaluation, a GGUF writer.

Pure modules (``data``, ``trainer``, ``evaluation``, ``gguf_writer``, ``pipeline``) import no Django;
``service`` (registration, promotion) and ``tasks`` (Celery) are the Django side.
"""

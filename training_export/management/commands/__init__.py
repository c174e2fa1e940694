"""manage.py commands: finetune."""

"""The web page (Gradio): a module per tab, assembled by `page`."""

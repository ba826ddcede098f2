"""`mnistgan serve`: the model service, the REST API, the web page, and the server that joins them."""

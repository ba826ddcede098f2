"""Quality metrics in the feature space of mnistgan's own MNIST classifier."""

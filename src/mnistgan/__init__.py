"""mnistgan: train, evaluate and serve GANs that draw handwritten digits."""

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy, so `import mnistgan` stays light for the CLI's --help.
    if name == "Sampler":
        from mnistgan.sampling import Sampler

        return Sampler
    if name == "Generator":
        from mnistgan.nets import Generator

        return Generator
    raise AttributeError(name)

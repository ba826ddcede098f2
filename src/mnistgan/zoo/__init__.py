"""`mnistgan zoo`: which GAN family wins on a given budget? Train each, several seeds, score all alike."""

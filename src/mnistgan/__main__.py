from mnistgan.cli import main

main()

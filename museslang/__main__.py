from museslang.cli import main

main()

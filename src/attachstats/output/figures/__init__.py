"""output/figures"""

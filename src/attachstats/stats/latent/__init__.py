"""stats/latent"""

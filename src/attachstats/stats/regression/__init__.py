"""stats/regression"""

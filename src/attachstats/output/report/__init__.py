"""output/report"""

# The custom Python operator of the blog "SAP Data Intelligence Python Operators and Cloud
# Connector - HTTP", unmodified (only this comment is added). Run it with the DI runner:
#     python3 examples/di/run_operator.py examples/di/blog_operator.py --connection http_connection=HELLO_WORLD
import requests

http_connection = api.config.http_connection


def gen():
    api.logger.info("Generator Start")
    url = f"""http://{http_connection["connectionProperties"]["host"]}:{http_connection["connectionProperties"]["port"]}"""

    headers = {
        "proxy-authorization": "Bearer " + http_connection["gateway"]["authentication"],
        "SAP-Connectivity-SCC-Location_ID": "FELIXLAPTOP"
    }

    proxies = {
        "http": f"""http://{http_connection["gateway"]["host"]}:{http_connection["gateway"]["port"]}/"""
    }
    res = requests.get(url=url, headers=headers, proxies=proxies)
    api.logger.info(res.text)
    api.logger.info("Generator End")


api.add_generator(gen)

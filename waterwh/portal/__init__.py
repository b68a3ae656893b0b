"""台账报送: the web pages where each 填报单位 submits its ledgers and sees at once what to fix."""

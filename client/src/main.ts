document.getElementById('app')!.textContent = 'Floorwatch';
